// A real OpenID Connect provider for installpulse's sign-in tests: the certified `oidc-provider`
// package (from npm, locked in package-lock.json), on 127.0.0.1 only, with two fixed accounts
// and one confidential client whose redirect_uri is the app's /oauth2callback.
//
// Started by tests/auth/test_signin_browser.py: node provider.mjs <port> <redirect_uri>
// Its dev interactions ask for a login (the account id: "viewer" or "editor") and any password,
// then for consent. Nothing here is a fake of the protocol: discovery, authorization code,
// token, id_token signing and userinfo are oidc-provider's own.
import Provider from "oidc-provider";

const [port, redirectUri] = process.argv.slice(2);
if (!port || !redirectUri) {
  console.error("usage: node provider.mjs <port> <redirect_uri>");
  process.exit(2);
}

const ACCOUNTS = {
  viewer: { sub: "viewer", email: "viewer@example.com", email_verified: true, name: "Vera Viewer" },
  editor: { sub: "editor", email: "editor@example.com", email_verified: true, name: "Ed Editor" },
};

const configuration = {
  clients: [
    {
      client_id: "installpulse",
      client_secret: "installpulse-test-secret",
      redirect_uris: [redirectUri],
      post_logout_redirect_uris: [new URL(redirectUri).origin + "/"],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_post",
    },
  ],
  async findAccount(ctx, id) {
    const account = ACCOUNTS[id];
    if (!account) return undefined;
    return { accountId: id, async claims() { return { ...account }; } };
  },
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
  // Streamlit (Authlib) reads who signed in from the id_token: put the scopes' claims there.
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true } },
  pkce: { required: () => false },
  cookies: { keys: ["installpulse-test-cookie-key"] },
};

const provider = new Provider(`http://127.0.0.1:${port}`, configuration);
provider.listen(Number(port), "127.0.0.1", () => {
  console.log(`oidc-provider listening on http://127.0.0.1:${port}`);
});
