// briefgen live preview: one server stream shared by every open tab of the site.
"use strict";
const ports = new Set();
let state = null; // the latest {type: "hello", version, errors}, for tabs that join later
let source = null;

function open() {
  source = new EventSource("/__briefgen/events");
  source.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.type === "hello") state = message;
    else if (state && message.type === "errors") state = { ...state, errors: message.errors };
    else if (state && message.type === "change") state = { ...state, version: message.version };
    for (const port of ports) port.postMessage(message);
  };
}

onconnect = (event) => {
  const port = event.ports[0];
  port.onmessage = (message) => {
    if (message.data === "bye") {
      ports.delete(port);
    } else if (message.data === "hi") {
      ports.add(port);
      if (state) port.postMessage(state);
    }
  };
  if (!source) open();
};
