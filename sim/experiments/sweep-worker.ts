// sim/experiments/sweep-worker.ts — a worker thread of `homa-nic sim --jobs N`: runs the one
// job it is given (sweep.ts) and posts its summary back.

import { parentPort, workerData } from 'node:worker_threads';
import { runJob, type JobSpec } from './sweep.ts';

parentPort!.postMessage(runJob(workerData as JobSpec));
