// The hooks of examples/js/js.py, colocated: every named export of this ES module is a hook
// (phx-hook="Dice"), loaded on every page of the app before the LiveSocket starts.

// pushEvent with a reply: the handler's returned dict arrives in the callback.
export const Dice = {
  mounted() {
    this.output = this.el.querySelector("output");
    this.el.querySelector("button").addEventListener("click", () => {
      const sides = Number(this.el.dataset.sides);
      this.pushEvent("roll", {sides}, (reply) => {
        this.output.textContent = `d${reply.sides} → ${reply.rolled}`;
      });
    });
  },
};

// pushEventTo with a selector: the event goes to the view(s) owning the matched element(s). Without
// a callback it returns a promise of one settled result per target, {reply, ref} when fulfilled.
export const Clock = {
  mounted() {
    this.output = this.el.querySelector("output");
    this.el.querySelector("button").addEventListener("click", async () => {
      const results = await this.pushEventTo("#server", "time", {});
      for (const result of results) {
        if (result.status === "fulfilled") {
          const {time, asked} = result.value.reply;
          this.output.textContent = `${time} (question ${asked})`;
        } else {
          this.output.textContent = "no answer";
        }
      }
    });
  },
};
