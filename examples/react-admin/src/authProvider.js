// Authentication with a JWT pasted on the login page.
//
// pgrestd, like PostgREST, does not issue tokens: it verifies the signature of the token in
// `Authorization: Bearer ...` and runs the request as the role its "role" claim names. The app
// only reads the claims (to greet the user and to notice expiry); pgrestd decides whether the
// token is valid, and a 401 from it signs the user out.

const STORAGE_KEY = "pgrestd.token";

export const getToken = () => localStorage.getItem(STORAGE_KEY);

/** The claims of a JWT (its middle part, base64url-encoded JSON), or an error. */
const decodeClaims = (token) => {
  const parts = token.split(".");
  if (parts.length !== 3) throw new Error("A JWT has three parts separated by dots");
  const base64 = parts[1].replace(/-/g, "+").replace(/_/g, "/");
  const json = new TextDecoder().decode(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
  const claims = JSON.parse(json);
  if (typeof claims !== "object" || claims === null) throw new Error("The token's claims are not an object");
  return claims;
};

const expired = (claims) => typeof claims.exp === "number" && claims.exp * 1000 <= Date.now();

const currentClaims = () => {
  const token = getToken();
  if (!token) return null;
  try {
    const claims = decodeClaims(token);
    return expired(claims) ? null : claims;
  } catch {
    return null;
  }
};

export const authProvider = {
  async login({ token }) {
    const trimmed = (token ?? "").trim().replace(/^Bearer\s+/i, "");
    let claims;
    try {
      claims = decodeClaims(trimmed);
    } catch (error) {
      throw new Error(`Not a JWT: ${error.message}`);
    }
    if (expired(claims)) throw new Error("This token has expired");
    localStorage.setItem(STORAGE_KEY, trimmed);
  },
  async logout() {
    localStorage.removeItem(STORAGE_KEY);
  },
  async checkAuth() {
    if (currentClaims() === null) throw new Error("Sign in with a JWT");
  },
  async checkError(error) {
    // 401: pgrestd rejected the token (expired, bad signature): sign out. A 403 is a missing
    // privilege of the token's role, which signing in again would not change.
    if (error?.status === 401) {
      localStorage.removeItem(STORAGE_KEY);
      throw error;
    }
  },
  async getIdentity() {
    const claims = currentClaims() ?? {};
    const role = claims.role ?? "anonymous";
    return { id: claims.sub ?? role, fullName: claims.sub ? `${claims.sub} (${role})` : role };
  },
  async getPermissions() {
    return currentClaims()?.role;
  },
};
