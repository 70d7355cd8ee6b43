// SPA routes and canonical links. One copy of each: the start presenter, monitoring, reasons'
// next steps and notifications all build their links here.

/** The SPA route of a run. */
export const runRoute = (runId: string) => `/operations/runs/${runId}`;

/** The canonical run link: the same URL in StartResult.runUrl, OperationRun.url and notifications. */
export const runUrl = (publicAppUrl: string, runId: string) => `${publicAppUrl.replace(/\/+$/, '')}${runRoute(runId)}`;
