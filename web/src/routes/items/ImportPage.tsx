import { Alert, Button, Group, Progress, Stack, Table, Text, Title } from '@mantine/core';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { api, unwrap } from '../../api/client';
import { toFormData } from '../../api/multipart';
import { TextLink } from '../../components/links';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useNotifications } from '../../live/notifications';

/** The result of an items import job (ImportResult in src/modules/imports/items-import.processor.ts). */
export interface ImportResult {
  inserted: number;
  failed: number;
  errors: { line: number; message: string }[];
  errorsOmitted: number;
}

function isImportResult(value: unknown): value is ImportResult {
  return typeof value === 'object' && value !== null && Array.isArray((value as ImportResult).errors);
}

export function ImportPage() {
  const [file, setFile] = useState<File | null>(null);
  const upload = useMutation({
    mutationFn: (csv: File) =>
      unwrap(api.POST('/api/v1/items/import', { body: { file: csv }, bodySerializer: toFormData })),
  });
  return (
    <Stack>
      <Title order={1}>Import items from CSV</Title>
      <Text size="sm">
        The header is <code>name,description,price,tax,tags</code> (tags separated by <code>|</code>); an export of this
        app can be imported as is.
      </Text>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (file) upload.mutate(file);
        }}
      >
        <Group align="flex-end">
          <div>
            <label htmlFor="import-file">CSV file</label>
            <br />
            <input
              id="import-file"
              type="file"
              accept=".csv,text/csv"
              onChange={(event) => setFile(event.currentTarget.files?.[0] ?? null)}
            />
          </div>
          <Button type="submit" disabled={!file} loading={upload.isPending}>
            Import
          </Button>
        </Group>
      </form>
      <ProblemAlert error={upload.error} title="Could not start the import" />
      {upload.data && <JobProgress jobId={upload.data.jobId} />}
      <TextLink to="/items">Back to the items</TextLink>
    </Stack>
  );
}

/** Live progress from the notifications socket; the job is also polled in case an event is missed. */
export function JobProgress({ jobId }: { jobId: string }) {
  const events = useNotifications().filter((event) => event.jobId === jobId);
  const latest = events[0];
  const finishedLive = latest?.type === 'job.completed' || latest?.type === 'job.failed';
  const [finished, setFinished] = useState(false);
  const job = useQuery({
    queryKey: ['job', jobId],
    queryFn: () => unwrap(api.GET('/api/v1/jobs/{id}', { params: { path: { id: jobId } } })),
    refetchInterval: finished ? false : 3_000,
  });
  const { refetch } = job;
  useEffect(() => {
    if (finishedLive) void refetch();
  }, [finishedLive, refetch]);
  const state = job.data?.state;
  useEffect(() => setFinished(state === 'completed' || state === 'failed'), [state]);

  const liveProgress = events.find((event) => typeof event.progress === 'number')?.progress;
  const progress =
    state === 'completed' ? 100 : typeof liveProgress === 'number' ? liveProgress : Number(job.data?.progress) || 0;
  const result = job.data?.result;
  return (
    <Stack>
      <Title order={2}>Import job {jobId}</Title>
      <Progress value={progress} aria-label="Import progress" size="lg" />
      <Text role="status">
        {state === 'completed'
          ? 'Import finished.'
          : state === 'failed'
            ? `Import failed: ${job.data?.failedReason ?? 'unknown error'}`
            : `Importing… ${Math.round(progress)}%`}
      </Text>
      <ProblemAlert error={job.error} title="Could not read the job" />
      {state === 'completed' && isImportResult(result) && <ImportReport result={result} />}
    </Stack>
  );
}

export function ImportReport({ result }: { result: ImportResult }) {
  return (
    <Stack>
      <Alert color={result.failed ? 'orange' : 'green'} title="Import report">
        {result.inserted} imported, {result.failed} rejected.
      </Alert>
      {result.errors.length > 0 && (
        <Table>
          <Table.Caption>Rejected lines</Table.Caption>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Line</Table.Th>
              <Table.Th scope="col">Error</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {result.errors.map((error) => (
              <Table.Tr key={error.line}>
                <Table.Td>{error.line}</Table.Td>
                <Table.Td>{error.message}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {result.errorsOmitted > 0 && <Text>…and {result.errorsOmitted} more rejected lines not listed.</Text>}
    </Stack>
  );
}
