/** Where tests find the project, its bundles and the shared folder beside it. */

import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The project root: tests run from out/test/..., compiled from test/... */
export const REPO_ROOT = resolve(__dirname, existsSync(join(__dirname, '..', 'package.json')) ? '..' : join('..', '..'));

/** ../shared beside the project. Tests read it and never write there; they fail when it is missing. */
export const SHARED = resolve(REPO_ROOT, '..', 'shared');

export const CLI = join(REPO_ROOT, 'dist', 'cli.js');

/** Test data kept in the source tree (not compiled). */
export const TEST_DATA = join(REPO_ROOT, 'test', 'data');
