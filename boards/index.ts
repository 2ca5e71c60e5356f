// boards/index.ts — every board, by name (each folder's board.ts).

import type { Board } from './flows/board.ts';
import { icebreaker } from './icebreaker/board.ts';
import { hx8k } from './hx8k/board.ts';
import { artyA7 } from './arty-a7/board.ts';
import { alveoU250 } from './alveo-u250/board.ts';

export const BOARDS: readonly Board[] = [icebreaker, hx8k, artyA7, alveoU250];

export function findBoard(name: string): Board | undefined { return BOARDS.find((b) => b.name === name); }
