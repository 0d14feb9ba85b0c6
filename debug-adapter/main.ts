/**
 * The debug adapter entry (DAP over stdio). The adapter over the VM's stepping API arrives
 * with issue #7; until then it answers `initialize` and refuses `launch` with that reason,
 * so that an editor shows a clear message instead of hanging.
 */

import { DebugSession, InitializedEvent } from '@vscode/debugadapter';
import { DebugProtocol } from '@vscode/debugprotocol';

class PendingDebugSession extends DebugSession {
  protected override initializeRequest(response: DebugProtocol.InitializeResponse): void {
    response.body = {};
    this.sendResponse(response);
    this.sendEvent(new InitializedEvent());
  }

  protected override launchRequest(response: DebugProtocol.LaunchResponse): void {
    this.sendErrorResponse(response, 1, 'The eBPF debugger is not built yet (issue #7)');
  }
}

DebugSession.run(PendingDebugSession);
