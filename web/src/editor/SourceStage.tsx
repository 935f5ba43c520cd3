// One source of a frame on its own drawing stage (React owns its lifetime; the Stage owns its SVG). The editor
// shows one (tabs) or all of a frame's sources (grid); each reports what the user drew with its source id.
import { useEffect, useRef } from "react";
import type { Source } from "../api";
import { Stage, type Mode, type StageEvents, type StageRoi } from "../drawing/stage";
import { imageUrl } from "./cursor";

export interface StageHandlers {
  create: (sourceId: string, d: StageEvents["stage:create"]) => void;
  move: (d: StageEvents["stage:move"]) => void;
  reshape: (d: StageEvents["stage:reshape"]) => void;
  select: (roiId: string | null) => void;
  refused: (d: StageEvents["stage:refused"]) => void;
}

export interface SourceStageProps {
  prefix: string; // id prefix of the stage's elements ("stage" when it is the only one on the page)
  frameKey: string; // `<version id>/<frame id>`: changes when another frame is shown
  source: Source;
  rois: StageRoi[];
  selected: string | null;
  hidden: boolean;
  masks: boolean;
  mode: Mode;
  handlers: StageHandlers;
  register: (sourceId: string, stage: Stage | null) => void;
}

export function SourceStage(p: SourceStageProps) {
  const host = useRef<HTMLDivElement>(null);
  const stage = useRef<Stage | null>(null);
  const handlers = useRef(p.handlers);
  handlers.current = p.handlers;
  const { source, register } = p;

  useEffect(() => {
    const h = host.current!;
    const s = new Stage(h, p.prefix);
    stage.current = s;
    register(source.id, s);
    const on = <K extends keyof StageEvents>(name: K, f: (d: StageEvents[K]) => void) => {
      const l = (e: Event) => f((e as CustomEvent<StageEvents[K]>).detail);
      h.addEventListener(name, l);
      return () => h.removeEventListener(name, l);
    };
    const offs = [
      on("stage:create", (d) => handlers.current.create(source.id, d)),
      on("stage:move", (d) => handlers.current.move(d)),
      on("stage:reshape", (d) => handlers.current.reshape(d)),
      on("stage:select", (d) => handlers.current.select(d.roi_id)),
      on("stage:refused", (d) => handlers.current.refused(d)),
    ];
    return () => {
      offs.forEach((off) => off());
      register(source.id, null);
      s.destroy();
      stage.current = null;
    };
  }, [p.prefix, source.id, register]);

  const maskKey = source.masks.map((m) => m.uri).join("\n");
  useEffect(() => {
    stage.current?.setFrame(imageUrl(source.preview_uri || source.uri, p.frameKey), source.width, source.height);
    stage.current?.setMasks(source.masks.map((m) => ({ id: m.id, uri: imageUrl(m.uri, p.frameKey) })));
    // the masks are compared by their URIs (maskKey), not by the array's identity
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [p.prefix, p.frameKey, source.id, source.uri, source.preview_uri, source.width, source.height, maskKey]);
  useEffect(() => stage.current?.setRois(p.rois), [p.prefix, p.frameKey, source.id, p.rois]);
  useEffect(() => stage.current?.setMode(p.mode), [p.prefix, source.id, p.mode]);
  useEffect(() => stage.current?.select(p.selected), [p.prefix, source.id, p.selected]);
  useEffect(() => stage.current?.setHidden(p.hidden), [p.prefix, source.id, p.hidden]);
  useEffect(() => stage.current?.setMasksVisible(p.masks), [p.prefix, source.id, p.masks]);

  return <div className="stage-host" ref={host} />;
}
