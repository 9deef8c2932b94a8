/**
 * Runs a drain pass without nesting: a drain asked for while one runs (a dispatch that completes
 * synchronously, an arrival from inside the host's dispatch) makes the running one go again
 * once it finishes, so passes never interleave.
 */
export class RerunGuard {
  private running = false;
  private again = false;

  run(pass: () => void): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      do {
        this.again = false;
        pass();
      } while (this.again);
    } finally {
      this.running = false;
    }
  }
}
