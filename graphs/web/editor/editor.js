// The program editor: CodeMirror 6 (MIT, vendored as one built file, see
// build.sh) inside a Streamlit components-v2 component.
//
// Why CodeMirror and not a Streamlit editor package: the candidates
// (streamlit-ace, streamlit-code-editor, streamlit-monaco) are v1 iframe
// components that Streamlit's AppTest cannot see, and Ace/Monaco are several
// megabytes; CodeMirror gives Python highlighting, auto-indent, undo, line
// numbers and a keymap in ~370 KB with no network at run time.
//
// Data in: text (what Python holds), version (bumped when Python replaces
// the text: a catalogue pick, a live edit, a link), ran (the program last
// run), errorLine, linkedLine (the line of the node picked in the graph).
// Out: state "doc" {text, version} when the user pauses or leaves the
// editor, trigger "run" {text, version} on Ctrl/Cmd+Enter, trigger "line"
// (a number) when the user clicks into a line.
// The text is replaced only when `version` changes, so a rerun never
// overwrites what is being typed.
import { EditorView, keymap, lineNumbers, highlightActiveLine, Decoration, drawSelection }
  from "@codemirror/view";
import { EditorState, StateField, StateEffect } from "@codemirror/state";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { syntaxHighlighting, defaultHighlightStyle, indentUnit, bracketMatching }
  from "@codemirror/language";
import { python } from "@codemirror/lang-python";

const PAUSE_MS = 700;       // send the text this long after the last keystroke

// A marked line (the failing line; the line of the node picked in the graph):
// one decoration, set by an effect carrying its line number (or null).
function lineMark(className) {
  const set = StateEffect.define();
  const mark = Decoration.line({ class: className });
  const field = StateField.define({
    create: () => Decoration.none,
    update(marks, tr) {
      marks = marks.map(tr.changes);
      for (const effect of tr.effects) {
        if (!effect.is(set)) continue;
        const line = effect.value;
        marks = line && line <= tr.state.doc.lines
          ? Decoration.set([mark.range(tr.state.doc.line(line).from)]) : Decoration.none;
      }
      return marks;
    },
    provide: (f) => EditorView.decorations.from(f),
  });
  return { set, field };
}
const errorLine = lineMark("cm-error-line");
const linkedLine = lineMark("cm-linked-line");

function create(parentElement, host, send) {
  const status = parentElement.querySelector(".status");
  const view = new EditorView({
    parent: host,
    root: parentElement.getRootNode(),
    state: EditorState.create({
      doc: "",
      extensions: [
        lineNumbers(), history(), drawSelection(), highlightActiveLine(), bracketMatching(),
        indentUnit.of("    "), python(), syntaxHighlighting(defaultHighlightStyle),
        errorLine.field, linkedLine.field,
        keymap.of([
          { key: "Mod-Enter", run: () => { send("run"); return true; }, preventDefault: true },
          indentWithTab, ...defaultKeymap, ...historyKeymap,
        ]),
        EditorView.contentAttributes.of({ "aria-label": "Program", "data-testid": "code-editor" }),
        EditorView.updateListener.of((update) => {
          if (!update.docChanged) return;
          parentElement.__editor.refreshStatus();
          clearTimeout(parentElement.__editor.timer);
          parentElement.__editor.timer = setTimeout(() => send("doc"), PAUSE_MS);
        }),
        EditorView.domEventHandlers({ blur: () => { send("doc"); } }),
        // A click in the text: tell Python its line, whose nodes the graph then outlines.
        EditorView.updateListener.of((update) => {
          if (!update.transactions.some((tr) => tr.isUserEvent("select.pointer"))) return;
          const line = update.state.doc.lineAt(update.state.selection.main.head).number;
          send("line", line);
        }),
      ],
    }),
  });
  return { view, status, version: null, ran: "", sent: null, timer: null, linked: null,
    refreshStatus() {
      const stale = this.view.state.doc.toString() !== this.ran;
      status.hidden = !stale;
      parentElement.querySelector(".editor").classList.toggle("stale", stale);
    } };
}

export default function (component) {
  const { data, parentElement, setStateValue, setTriggerValue } = component;
  const host = parentElement.querySelector(".editor");
  host.style.height = `${data.height}px`;
  if (!parentElement.__editor || parentElement.__editor.host !== host) {
    const send = (what, line) => {
      const editor = parentElement.__editor;
      const payload = { text: editor.view.state.doc.toString(), version: editor.version };
      if (what === "line") {
        setTriggerValue("line", line);
      } else if (what === "run") {
        clearTimeout(editor.timer);
        setStateValue("doc", payload);
        setTriggerValue("run", payload);
      } else if (payload.text !== editor.sent) {
        editor.sent = payload.text;
        setStateValue("doc", payload);
      }
    };
    parentElement.__editor = create(parentElement, host, send);
    parentElement.__editor.host = host;
  }
  const editor = parentElement.__editor;
  if (editor.version !== data.version) {
    editor.version = data.version;
    editor.sent = data.text;
    editor.view.dispatch({ changes: { from: 0, to: editor.view.state.doc.length, insert: data.text } });
  }
  editor.ran = data.ran;
  const effects = [errorLine.set.of(data.errorLine || null), linkedLine.set.of(data.linkedLine || null)];
  const doc = editor.view.state.doc;
  if (data.linkedLine && data.linkedLine !== editor.linked && data.linkedLine <= doc.lines) {
    effects.push(EditorView.scrollIntoView(doc.line(data.linkedLine).from, { y: "center" }));
  }
  editor.linked = data.linkedLine;
  editor.view.dispatch({ effects });
  parentElement.querySelector(".status").textContent = data.staleText;
  editor.refreshStatus();
}
