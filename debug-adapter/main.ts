/** The debug adapter entry: DAP over stdio (the extension runs the same session inline). */

import { EbpfDebugSession } from './session';

EbpfDebugSession.run(EbpfDebugSession);
