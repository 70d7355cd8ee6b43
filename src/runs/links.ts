/** The canonical run link: the same URL in StartResult.runUrl, OperationRun.url and notifications. */
export const runUrl = (publicAppUrl: string, runId: string) => `${publicAppUrl.replace(/\/+$/, '')}/operations/runs/${runId}`;
