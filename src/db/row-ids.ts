// Ids of the rows that only accumulate (runs, notifications): UUIDv7, whose leading 48 bits are the
// creation time in milliseconds, so a new row's primary-key entry lands beside the last one
// instead of on a random leaf of an index that grows with history. With a random UUID, each insert
// into a million-run table dirtied a different leaf: after each checkpoint a full-page image in the
// WAL (8 kB) for most admissions, and index pages read back from disk once the table outgrew the
// cache (README, "Cost under history"). uuid's v7 keeps ids increasing within a millisecond too.
import { v7 } from 'uuid';

export const newRowId = (): string => v7();
