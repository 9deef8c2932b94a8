export { startServe, type ServeOptions, type ServeHandle, type ServedEndpoint } from './serve.js';
export { ServedInstance, type ServedInstanceSpec } from './served-instance.js';
export { WallClock } from './wall-clock.js';
export { TOKEN_TEXT } from './completion-body.js';
