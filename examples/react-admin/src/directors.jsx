// Directors: read-only; films refer to them (films.director_id).
import { DataTable, DateField, List, ReferenceManyField, Show, SimpleShowLayout, TextField } from "react-admin";

export const DirectorList = () => (
  <List sort={{ field: "name", order: "ASC" }}>
    <DataTable rowClick="show" bulkActionButtons={false}>
      <DataTable.Col source="name" />
      <DataTable.Col source="born">
        <DateField source="born" options={{ timeZone: "UTC" }} />
      </DataTable.Col>
      <DataTable.Col source="nationality" />
    </DataTable>
  </List>
);

export const DirectorShow = () => (
  <Show>
    <SimpleShowLayout>
      <TextField source="name" />
      <DateField source="born" options={{ timeZone: "UTC" }} />
      <TextField source="nationality" />
      <ReferenceManyField reference="films" target="director_id" label="Films" sort={{ field: "year", order: "ASC" }}>
        <DataTable bulkActionButtons={false} rowClick="show">
          <DataTable.Col source="title" />
          <DataTable.Col source="year" />
        </DataTable>
      </ReferenceManyField>
    </SimpleShowLayout>
  </Show>
);
