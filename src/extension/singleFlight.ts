/**
 * "One analysis at a time, the newest wins": starting a flight aborts the previous one first, so
 * its cancel reaches the engine before the new request does. vscode-free (AbortController), so the
 * ordering is unit-tested; AnalysisController wraps it with VS Code progress and the panel.
 */

export interface Flight {
  readonly signal: AbortSignal;
  /** Still the newest flight (not superseded, not ended)? */
  isCurrent(): boolean;
  abort(): void;
  /** Marks the flight done; true when it was the current one (so the caller clears "busy"). */
  end(): boolean;
}

export class SingleFlight {
  private current: Flight | undefined;

  get busy(): boolean {
    return this.current !== undefined;
  }

  /** Aborts the running flight, if any. */
  cancel(): void {
    this.current?.abort();
  }

  start(): Flight {
    this.cancel();
    const ac = new AbortController();
    const flight: Flight = {
      signal: ac.signal,
      isCurrent: () => this.current === flight,
      abort: () => ac.abort(),
      end: () => {
        if (this.current !== flight) return false;
        this.current = undefined;
        return true;
      },
    };
    this.current = flight;
    return flight;
  }
}
