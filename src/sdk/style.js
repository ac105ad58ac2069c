// @ts-check
// The element's styles, as a constructed stylesheet: it applies under a strict CSP (no
// 'unsafe-inline' needed). A bank themes it with the custom properties below and reaches
// deeper through the `part`s (::part(confirm) and the like); nothing leaks out of the shadow root.

export const CSS = `
:host {
  --_primary: var(--callverify-color-primary, #0b5cad);
  --_on-primary: var(--callverify-color-on-primary, #ffffff);
  --_text: var(--callverify-color-text, #1a1a1a);
  --_muted: var(--callverify-color-muted, #4a4a4a);
  --_bg: var(--callverify-color-background, #ffffff);
  --_border: var(--callverify-color-border, #c9d2dc);
  --_danger: var(--callverify-color-danger, #b00020);
  --_success: var(--callverify-color-success, #17663a);
  --_radius: var(--callverify-radius, 8px);
  display: block;
  box-sizing: border-box;
  max-width: 100%;
  color: var(--_text);
  background: var(--_bg);
  font-family: var(--callverify-font-family, system-ui, "Hiragino Sans", "Noto Sans JP", sans-serif);
  font-size: var(--callverify-font-size, 1rem);
  line-height: 1.6;
  overflow-wrap: anywhere;
}
:host([hidden]) { display: none; }
*, *::before, *::after { box-sizing: inherit; }
.root { display: grid; gap: 1rem; min-width: 0; }
h2 { font-size: 1.25em; margin: 0; }
p { margin: 0; }
dl { display: grid; gap: 0.75rem; margin: 0; }
dt { font-weight: 600; }
dt small { font-weight: 400; color: var(--_muted); margin-inline-start: 0.5em; }
dd { margin: 0; }
.masked { font-size: 1.25em; letter-spacing: 0.08em; font-variant-numeric: tabular-nums; }
.number {
  display: inline-block;
  font-size: var(--callverify-number-size, clamp(1.75rem, 9vw, 2.75rem));
  font-weight: 700;
  letter-spacing: 0.04em;
  font-variant-numeric: tabular-nums;
  color: var(--_primary);
  min-height: 48px;
  padding-block: 0.1em;
}
.handoff { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; }
.qr { width: 168px; height: 168px; flex: none; background: #fff; padding: 8px; border: 1px solid var(--_border); border-radius: var(--_radius); }
.qr svg { display: block; width: 100%; height: 100%; }
.handoff p { flex: 1 1 12rem; color: var(--_muted); }
.call {
  display: flex; align-items: center; justify-content: center;
  min-height: 52px; padding: 0.75rem 1rem; border-radius: var(--_radius);
  background: var(--_success); color: #fff; font-weight: 700; text-decoration: none; width: 100%;
}
.timer { font-size: 1.125em; font-weight: 600; font-variant-numeric: tabular-nums; }
.timer.low { color: var(--_danger); }
.status { font-weight: 600; min-height: 1.6em; }
.status[data-tone="success"] { color: var(--_success); }
.status[data-tone="warning"], .error { color: var(--_danger); }
.error:empty { display: none; }
.actions { display: flex; flex-wrap: wrap; gap: 0.75rem; }
button {
  font: inherit; font-weight: 700; min-height: 48px; min-width: 8rem; padding: 0.75rem 1.5rem;
  border-radius: var(--_radius); cursor: pointer; flex: 1 1 10rem;
}
button.confirm { background: var(--_primary); color: var(--_on-primary); border: 2px solid var(--_primary); }
button.cancel { background: var(--_bg); color: var(--_primary); border: 2px solid var(--_primary); }
button:disabled { opacity: 0.6; cursor: default; }
a:focus-visible, button:focus-visible { outline: 3px solid var(--callverify-color-focus, #f0a000); outline-offset: 2px; }
.notes { border: 1px solid var(--_border); border-radius: var(--_radius); padding: 0.75rem 1rem; }
.notes h3 { font-size: 1em; margin: 0 0 0.25rem; }
.notes ul { margin: 0; padding-inline-start: 1.25em; }
[hidden] { display: none !important; }
`
