// Films: read-only for web_user (see the GRANTs in conf/demo.sql).
import {
  ArrayField,
  DataTable,
  List,
  NumberField,
  ReferenceField,
  SearchInput,
  SelectInput,
  Show,
  SimpleShowLayout,
  TextField,
  TextArrayField,
} from "react-admin";

const RATINGS = ["G", "PG", "PG-13", "R", "NC-17"].map((rating) => ({ id: rating, name: rating }));
const DOLLARS = { style: "currency", currency: "USD", maximumFractionDigits: 0 };

const filmFilters = [
  // "title@ilike" becomes title=ilike.*word* (the data provider's operator syntax).
  <SearchInput key="title" source="title@ilike" placeholder="Search titles" alwaysOn />,
  <SelectInput key="rated" source="rated" label="Rated" choices={RATINGS} />,
];

// One request per page: the director's name comes embedded (films?select=...,director:directors(name)).
const LIST_COLUMNS = ["id", "title", "year", "rated", "runtime_minutes", "box_office", "director:directors(name)"];

export const FilmList = () => (
  <List
    filters={filmFilters}
    sort={{ field: "title", order: "ASC" }}
    perPage={5}
    queryOptions={{ meta: { columns: LIST_COLUMNS } }}
  >
    <DataTable rowClick="show" bulkActionButtons={false}>
      <DataTable.Col source="title" />
      <DataTable.Col source="year" />
      <DataTable.Col source="director.name" label="Director" disableSort />
      <DataTable.Col source="rated" />
      <DataTable.NumberCol source="runtime_minutes" label="Minutes" />
      <DataTable.NumberCol source="box_office" label="Box office" options={DOLLARS} />
    </DataTable>
  </List>
);

// The cast is embedded two levels deep: films?id=eq.N&select=*,roles(character,actors(id,name)).
const SHOW_COLUMNS = ["*", "roles(character,actors(id,name))"];

export const FilmShow = () => (
  <Show queryOptions={{ meta: { columns: SHOW_COLUMNS } }}>
    <SimpleShowLayout>
      <TextField source="title" />
      <NumberField source="year" options={{ useGrouping: false }} />
      <ReferenceField source="director_id" reference="directors" label="Director" />
      <TextField source="rated" emptyText="unrated" />
      <NumberField source="runtime_minutes" label="Minutes" />
      <NumberField source="box_office" label="Box office" options={DOLLARS} emptyText="unknown" />
      <TextArrayField source="genres" />
      <ArrayField source="roles" label="Cast">
        <DataTable bulkActionButtons={false} rowClick={false}>
          <DataTable.Col source="actors.name" label="Actor" />
          <DataTable.Col source="character" />
        </DataTable>
      </ArrayField>
    </SimpleShowLayout>
  </Show>
);
