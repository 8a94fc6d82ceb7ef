// The hook of examples/live_output/live_output.py, colocated (see pyview_core/colocated.py):
// phx-hook="FollowLog" on the log keeps its newest line in view as the stream appends lines, the
// way a terminal does. Once the reader scrolls up, the log stays where they are; scrolling back
// down near the end follows again.

const SLACK = 4; // pixels from the end that still count as "at the end"

function fromEnd(el) {
  return el.scrollHeight - el.scrollTop - el.clientHeight;
}

export const FollowLog = {
  mounted() {
    this.following = true;
    // A scroll event says which way the reader went (our own scrolls leave lastTop where they
    // went, so they read as no move). When the box grows quickly, scrolling down lands a few lines
    // short of an end that has moved on meanwhile: near it is enough.
    this.el.addEventListener("scroll", () => {
      const moved = this.el.scrollTop - this.lastTop;
      this.lastTop = this.el.scrollTop;
      if (moved < 0 && fromEnd(this.el) > SLACK) this.following = false;
      else if (moved > 0 && fromEnd(this.el) <= this.el.clientHeight / 4) this.following = true;
    }, {passive: true});
    this.toEnd();
  },
  // Before a patch: the reader may have scrolled up since the last one, before its scroll event.
  beforeUpdate() {
    if (this.el.scrollTop < this.lastTop - 1 && fromEnd(this.el) > SLACK) this.following = false;
  },
  updated() {
    if (this.following) this.toEnd();
  },
  toEnd() {
    this.el.scrollTop = this.el.scrollHeight;
    this.lastTop = this.el.scrollTop;
  },
};
