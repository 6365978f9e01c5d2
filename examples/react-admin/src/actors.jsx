// Actors: web_user may insert, update and delete them (see the GRANTs in conf/demo.sql).
import {
  Create,
  DataTable,
  DateField,
  DateInput,
  Edit,
  List,
  NumberField,
  ReferenceField,
  ReferenceManyField,
  SearchInput,
  Show,
  SimpleForm,
  SimpleShowLayout,
  TextField,
  TextInput,
  required,
} from "react-admin";

const BORN = { year: "numeric", month: "long", day: "numeric", timeZone: "UTC" };

// "age" is a computed field, a function of the row: actors?select=*,age.
const COLUMNS = { meta: { columns: ["*", "age"] } };

const actorFilters = [<SearchInput key="name" source="name@ilike" placeholder="Search names" alwaysOn />];

export const ActorList = () => (
  <List filters={actorFilters} sort={{ field: "name", order: "ASC" }} queryOptions={COLUMNS}>
    <DataTable rowClick="show">
      <DataTable.Col source="name" />
      <DataTable.Col source="born">
        <DateField source="born" options={BORN} />
      </DataTable.Col>
      <DataTable.NumberCol source="age" disableSort />
    </DataTable>
  </List>
);

export const ActorShow = () => (
  <Show queryOptions={COLUMNS}>
    <SimpleShowLayout>
      <TextField source="name" />
      <DateField source="born" options={BORN} emptyText="unknown" />
      <NumberField source="age" emptyText="unknown" />
      {/* roles?actor_id=eq.N: a table whose primary key is (film_id, actor_id) */}
      <ReferenceManyField reference="roles" target="actor_id" label="Roles" sort={{ field: "film_id", order: "ASC" }}>
        <DataTable bulkActionButtons={false} rowClick={false} empty={<span>No roles yet</span>}>
          <DataTable.Col source="film_id" label="Film">
            <ReferenceField source="film_id" reference="films" link="show" />
          </DataTable.Col>
          <DataTable.Col source="character" />
        </DataTable>
      </ReferenceManyField>
    </SimpleShowLayout>
  </Show>
);

const ActorForm = () => (
  <SimpleForm>
    <TextInput source="name" validate={required()} />
    <DateInput source="born" />
  </SimpleForm>
);

// Pessimistic: the page waits for pgrestd's answer instead of undoing a failed update later.
export const ActorEdit = () => (
  <Edit mutationMode="pessimistic" redirect="show">
    <ActorForm />
  </Edit>
);

export const ActorCreate = () => (
  <Create redirect="show">
    <ActorForm />
  </Create>
);
