// gateway-testkit: run tests against the api-gateway emulator. Framework-free helpers; the vitest
// wiring is in ./vitest.js (`gateway-testkit/vitest`) and ./global-setup.js
// (`gateway-testkit/global-setup`).

export { Gateway, GatewayAssertionError, GatewayError, TOKEN_SURFACES } from "./client.js";
export { GatewayStartError, attach, findBinary, freePort, startGateway } from "./server.js";
export { gatewayGlobalSetup, PROVIDE_KEY } from "./global-setup.js";
export { absent, buildPattern, contains, equalTo, jsonContains, jsonEquals, matches, present } from "./verify.js";
