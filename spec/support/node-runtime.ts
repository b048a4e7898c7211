// Specs import the modules themselves, not the Node entry: install what the Node entry installs.
import '../../src/runtime/node-runtime.js';
