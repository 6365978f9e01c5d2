// react-admin's data provider for PostgREST, pointed at pgrestd, sending the signed-in JWT.
import postgrestRestProvider, { defaultSchema } from "@raphiniert/ra-data-postgrest";
import { fetchUtils } from "react-admin";

import { getToken } from "./authProvider";
import { apiUrl } from "./settings";

const httpClient = (url, options = {}) => {
  const token = getToken();
  const user = token ? { authenticated: true, token: `Bearer ${token}` } : undefined;
  return fetchUtils.fetchJson(url, { ...options, user });
};

export const dataProvider = postgrestRestProvider({
  apiUrl,
  httpClient,
  defaultListOp: "eq",
  // Tables whose primary key is not a single "id" column.
  primaryKeys: new Map([["roles", ["film_id", "actor_id"]]]),
  schema: defaultSchema, // the first of pgrestd's db-schemas
});
