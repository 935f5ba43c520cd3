// Live updates while a frame is open: a WebSocket from the gateway (fed by NATS) says when someone else saved
// the frame, or set a label color of the task.
import { useEffect, useRef, useState, type RefObject } from "react";
import { api, type FrameRef, type FrameState } from "../api";
import { colorSetElsewhere, setTaskColors } from "../labels";

export type LiveState = "off" | "connecting" | "connected";

export interface LiveCallbacks {
  /** The frame as saved by someone else (only when it is newer than what the editor has). */
  fresh: (frame: FrameState, actor: string) => void;
}

/** Keep a socket open for `ref` (reconnecting after a drop); `latest.current` is the version on screen. */
export function useLive(taskId: string, ref: FrameRef | null, latest: RefObject<{ version: number }>, cb: LiveCallbacks): LiveState {
  const [state, setState] = useState<LiveState>("off");
  const callbacks = useRef(cb);
  callbacks.current = cb;
  const key = ref ? `${ref.version_id}/${ref.frame_id}` : "";
  useEffect(() => {
    if (!ref) return;
    let closed = false;
    let socket: WebSocket | null = null;
    let timer: number | undefined;
    const refetch = (actor: string) =>
      void api.getFrame(ref).then((fresh) => {
        if (!closed && fresh.version > latest.current.version) callbacks.current.fresh(fresh, actor);
      });
    const connect = () => {
      setState("connecting");
      const proto = location.protocol === "https:" ? "wss" : "ws";
      const path = `/api/v1/live/versions/${ref.version_id}/frames/${encodeURIComponent(ref.frame_id)}?task_id=${encodeURIComponent(taskId)}`;
      socket = new WebSocket(`${proto}://${location.host}${path}`);
      socket.onmessage = (m) => {
        const msg = JSON.parse(m.data);
        if (msg.type === "subscribed") return setState("connected");
        if (msg.type === "label_color") return colorSetElsewhere(msg.label, msg.color);
        if (msg.type === "overflow") {
          void api.getTask(taskId).then((t) => setTaskColors(t.label_colors), () => undefined);
          return refetch("someone");
        }
        if (msg.type === "event" && (msg.stream_version ?? Infinity) > latest.current.version) refetch(msg.actor ?? "someone");
      };
      socket.onclose = () => {
        setState("off");
        if (!closed) timer = window.setTimeout(connect, 1000);
      };
    };
    connect();
    return () => {
      closed = true;
      window.clearTimeout(timer);
      socket?.close();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, taskId]);
  return state;
}
