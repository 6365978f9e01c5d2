import { Login, LoginForm, TextInput, required } from "react-admin";

import { apiUrl } from "./settings";

/** react-admin's login page, asking for a JWT instead of a user name and password. */
export const LoginPage = () => (
  <Login>
    <LoginForm>
      <TextInput
        source="token"
        label="JWT"
        helperText={`A token signed with the jwt-secret of ${apiUrl}`}
        multiline
        minRows={3}
        autoFocus
        validate={required()}
      />
    </LoginForm>
  </Login>
);
