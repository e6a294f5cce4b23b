//! The copy-paste snippets `serve --demo` prints: per vendor, its published SDK pointed at this
//! gateway with the demo credentials, in the form the repository's SDK tests use (`tests/sdk/`,
//! pinned in `tests/sdk/python/requirements.txt` and `tests/sdk/js/package.json`). Each snippet
//! prints the demo user's id and email.
//!
//! Machine-extractable: a snippet is the lines between `--- snippet NAME LANGUAGE: NOTE ---` and
//! `--- end snippet ---`.

use super::DemoCredentials;

/// Start marker of a snippet (followed by `NAME LANGUAGE: NOTE ---`).
pub const SNIPPET_START: &str = "--- snippet ";
/// End marker of a snippet.
pub const SNIPPET_END: &str = "--- end snippet ---";

/// One vendor's snippet.
#[derive(Debug, Clone)]
pub struct Snippet {
    /// Vendor / SDK name: `dreadnode`, `zenml`, `bird`, `stackframe`.
    pub name: &'static str,
    /// `python` or `javascript` (an ES module).
    pub language: &'static str,
    /// What to install, and how to run it.
    pub note: &'static str,
    /// The code.
    pub code: String,
}

impl Snippet {
    /// The snippet between its markers.
    pub fn render(&self) -> String {
        format!(
            "{SNIPPET_START}{} {}: {} ---\n{}\n{SNIPPET_END}",
            self.name,
            self.language,
            self.note,
            self.code.trim_end()
        )
    }
}

/// The snippets for `demo`'s credentials.
pub fn snippets(demo: &DemoCredentials) -> Vec<Snippet> {
    let DemoCredentials {
        base_url: base,
        user_id,
        platform_key,
        zenml_key,
        bird_key,
        project_id,
        publishable_client_key,
        secret_server_key,
        access_token,
        refresh_token,
    } = demo;
    vec![
        Snippet {
            name: "dreadnode",
            language: "python",
            note: "PyPI dreadnode==2.0.52 (platform surface)",
            code: format!(
                r#"from dreadnode.app.api.client import ApiClient

user = ApiClient("{base}", api_key="{platform_key}").get_user()
print(user.id, user.email_address, user.username)"#
            ),
        },
        Snippet {
            name: "zenml",
            language: "python",
            note: "PyPI zenml==0.98.0, ZenML Pro client (users-me surface)",
            code: format!(
                r#"import os, tempfile

os.environ["ZENML_PRO_API_URL"] = "{base}"
os.environ.setdefault("ZENML_CONFIG_PATH", tempfile.mkdtemp())  # leave ~/.config/zenml alone
os.environ.setdefault("ZENML_ANALYTICS_OPT_IN", "false")
from zenml.login.credentials_store import get_credentials_store
from zenml.login.pro.client import ZenMLProClient

get_credentials_store().set_api_key("{base}", "{zenml_key}", is_zenml_pro=True)
me = ZenMLProClient("{base}").get("/users/me")  # logs in with the key (POST /auth/login)
print(me["id"], me["email"], me["username"])"#
            ),
        },
        Snippet {
            name: "bird",
            language: "python",
            note: "PyPI messagebird-sdk==0.106.0, import bird (me surface)",
            code: format!(
                r#"from bird import Bird

me = Bird(api_key="{bird_key}", base_url="{base}").get("/me")
print(me["id"], me["defaultEmail"])"#
            ),
        },
        Snippet {
            name: "stackframe",
            language: "javascript",
            note: "npm @stackframe/js@2.8.108, an ES module (users surface)",
            code: format!(
                r#"import {{ StackClientApp, StackServerApp }} from "@stackframe/js";

const options = {{
  baseUrl: "{base}",
  projectId: "{project_id}",
  publishableClientKey: "{publishable_client_key}",
}};
const server = new StackServerApp({{ ...options, secretServerKey: "{secret_server_key}", tokenStore: "memory" }});
const byId = await server.getUser("{user_id}");
console.log(byId.id, byId.primaryEmail);
const client = new StackClientApp({{
  ...options,
  tokenStore: {{
    accessToken: "{access_token}",
    refreshToken: "{refresh_token}",
  }},
}});
const me = await client.getUser({{ or: "throw" }});
console.log(me.id, me.primaryEmail);"#
            ),
        },
    ]
}
