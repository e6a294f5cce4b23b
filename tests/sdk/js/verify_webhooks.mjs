// Verifies webhook deliveries with the `svix` package's own verifier (the one Stack Auth's docs
// tell receivers to use): reads `{"secret": "whsec_...", "deliveries": [{"headers": {...},
// "body": "..."}]}` on stdin, prints the verified payloads as a JSON array, and exits 1 with the
// reason on the first delivery that does not verify.
import { Webhook } from "svix";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const { secret, deliveries } = JSON.parse(input);
const hook = new Webhook(secret);
const verified = [];
for (const [i, d] of deliveries.entries()) {
  try {
    verified.push(hook.verify(d.body, d.headers));
  } catch (e) {
    console.error(`delivery ${i} does not verify: ${e.message}`);
    process.exit(1);
  }
}
console.log(JSON.stringify(verified));
