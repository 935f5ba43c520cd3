import { createRoot } from "react-dom/client";
import { useEffect, useState } from "react";
import { identityCookies } from "./api";
import { AnnotationsPage } from "./pages/Annotations";
import { EditorPage } from "./pages/Editor";
import { ReviewPage } from "./pages/Review";
import "./styles.css";

function App() {
  const [path, setPath] = useState(location.pathname + location.search);
  useEffect(() => {
    const on = () => setPath(location.pathname + location.search);
    window.addEventListener("popstate", on);
    return () => window.removeEventListener("popstate", on);
  }, []);
  const editor = /^\/tasks\/([^/]+)\/annotate/.exec(location.pathname);
  if (editor) return <EditorPage key={editor[1]} taskId={decodeURIComponent(editor[1])} />;
  const review = /^\/tasks\/([^/]+)\/review/.exec(location.pathname);
  if (review) return <ReviewPage key={review[1]} taskId={decodeURIComponent(review[1])} />;
  return <AnnotationsPage key={path} />;
}

identityCookies(); // before any image or WebSocket asks the gateway (dev mode reads identity from them)
createRoot(document.getElementById("root")!).render(<App />);
