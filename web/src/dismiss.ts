// Popups dismiss the usual way: Esc closes the topmost one, a click outside closes a menu, and the focus goes
// back to where it was when the popup opened.
import { useEffect, useLayoutEffect, useRef, useState, type RefObject } from "react";

const open: symbol[] = []; // the popups on screen, the topmost last: Esc closes only that one

/** While mounted: Esc calls `onClose` (topmost popup only); a pointer down outside `outside` (when given) too;
 * on unmount the element that had the focus before gets it back. */
export function useDismiss(onClose: () => void, outside?: RefObject<HTMLElement | null>): void {
  const close = useRef(onClose);
  close.current = onClose;
  // read on the first render: before the popup's own autoFocus moves the focus
  const [before] = useState(() => document.activeElement as HTMLElement | null);
  // A layout effect: the Esc listener is in place before the popup is painted (a passive effect runs after the
  // paint, and an Esc pressed in between on a busy machine reached nothing).
  useLayoutEffect(() => {
    const me = Symbol("popup");
    open.push(me);
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "Escape" || open[open.length - 1] !== me) return;
      e.preventDefault();
      e.stopImmediatePropagation();
      close.current();
    };
    const onDown = (e: PointerEvent) => {
      if (outside?.current && !outside.current.contains(e.target as Node)) close.current();
    };
    window.addEventListener("keydown", onKey, true);
    if (outside) window.addEventListener("pointerdown", onDown); // bubbling: a control may keep its own press from counting as outside
    return () => {
      open.splice(open.indexOf(me), 1);
      window.removeEventListener("keydown", onKey, true);
      if (outside) window.removeEventListener("pointerdown", onDown);
    };
  }, [outside]);
  // give the focus back on unmount (unless the user already put it somewhere else): a passive effect's cleanup
  // runs once the popup's elements are gone, so the focus is no longer inside it
  useEffect(
    () => () => {
      if (before && before.isConnected && (document.activeElement === document.body || !document.activeElement)) before.focus();
    },
    [before],
  );
}
