// The outbox helpers: a tiered password reset mailed by the gateway, its link read with
// `waitForMail` and `mailLink`, the password reset with the code.
import { expect, test } from "vitest";
import { Gateway } from "gateway-testkit";
import { useGateway } from "gateway-testkit/vitest";

const gateway = useGateway({ reset: "each" });

test("a password reset link is read from the outbox", async () => {
  const { project } = await gateway.createUserWithCredentials({ email: "reset-js@example.com", password: "original-password" });
  const headers = { "content-type": "application/json", "x-stack-access-type": "client", "x-stack-project-id": project.id,
    "x-stack-publishable-client-key": project.publishableClientKey };
  const post = (path, body) => fetch(`${gateway.url}/api/v1/auth/password/${path}`, { method: "POST", headers, body: JSON.stringify(body) });
  let res = await post("send-reset-code", { email: "reset-js@example.com", callback_url: "http://localhost:3000/reset" });
  expect(res.status).toBe(200);
  const mail = await gateway.waitForMail("reset-js@example.com", { kind: "password_reset" });
  expect(mail.subject).toBe("Reset your password at gateway-testkit");
  const code = new URL(Gateway.mailLink(mail, "http://localhost:3000/reset")).searchParams.get("code");
  res = await post("reset", { code, password: "a-new-password" });
  expect(res.status).toBe(200);
  res = await post("sign-in", { email: "reset-js@example.com", password: "a-new-password" });
  expect(res.status).toBe(200);
  await gateway.clearOutbox();
  await expect(gateway.waitForMail("reset-js@example.com", { timeoutMs: 100 })).rejects.toThrow(/no mail to reset-js@example.com; the outbox holds:\n {2}nothing/);
});
