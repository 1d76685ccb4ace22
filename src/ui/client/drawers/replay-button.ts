/** One click's replay of what a drawer shows: its event routed again, or its delivery sent again as a copy. */
import { adminApi } from "../api";
import { busy, h } from "../dom";
import { toast, toastError } from "../toast";
import type { ReplayRequest } from "../types";
import { track } from "../views/replays";

export function replayButton(label: string, request: ReplayRequest, what: string): HTMLButtonElement {
  const button = h("button", { type: "button", class: "btn sm", "data-replay": request.stage }, label);
  button.addEventListener("click", async () => {
    busy(button, true);
    try {
      const replay = await adminApi.startReplay(request);
      track(replay.id);
      toast("success", "Replay started", `${replay.id}: ${what}. Follow it under Replays.`);
    } catch (err) {
      toastError(err, "Replay refused");
    } finally {
      busy(button, false);
    }
  });
  return button;
}
