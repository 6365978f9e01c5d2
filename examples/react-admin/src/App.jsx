import { Admin, Resource } from "react-admin";

import { ActorCreate, ActorEdit, ActorList, ActorShow } from "./actors";
import { authProvider } from "./authProvider";
import { dataProvider } from "./dataProvider";
import { DirectorList, DirectorShow } from "./directors";
import { FilmList, FilmShow } from "./films";
import { LoginPage } from "./LoginPage";

export const App = () => (
  <Admin
    title="pgrestd demo"
    dataProvider={dataProvider}
    authProvider={authProvider}
    loginPage={LoginPage}
    requireAuth
    disableTelemetry
  >
    <Resource name="films" list={FilmList} show={FilmShow} recordRepresentation="title" />
    <Resource
      name="actors"
      list={ActorList}
      show={ActorShow}
      edit={ActorEdit}
      create={ActorCreate}
      recordRepresentation="name"
    />
    <Resource name="directors" list={DirectorList} show={DirectorShow} recordRepresentation="name" />
  </Admin>
);
