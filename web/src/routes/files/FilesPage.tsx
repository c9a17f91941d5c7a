import { Alert, Button, Group, Progress, Stack, Table, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import { describeError } from '../../api/problem';
import { ConfirmButton } from '../../components/ConfirmButton';
import { ProblemAlert } from '../../components/ProblemAlert';
import { Loading } from '../../components/StatusScreens';
import { uploadFiles } from './upload';
import { SkipPager } from '../../components/SkipPager';

const PAGE_SIZE = 20;

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
}

/** Downloads through the api client (the content needs the bearer token, a plain link has none). */
async function download(id: string, filename: string) {
  const blob = await unwrap(api.GET('/api/v1/files/{id}/content', { params: { path: { id } }, parseAs: 'blob' }));
  const url = URL.createObjectURL(blob as Blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function FilesPage() {
  const queryClient = useQueryClient();
  const [skip, setSkip] = useState(0);
  const [progress, setProgress] = useState<number | null>(null);
  const files = useQuery({
    queryKey: ['files', skip],
    queryFn: () => unwrap(api.GET('/api/v1/files', { params: { query: { skip, limit: PAGE_SIZE } } })),
  });
  const upload = useMutation({
    mutationFn: (selected: File[]) => uploadFiles(selected, setProgress),
    onSettled: () => setProgress(null),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['files'] }),
  });
  const remove = useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/api/v1/files/{id}', { params: { path: { id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['files'] }),
  });
  const fetchFile = useMutation({
    mutationFn: (file: { id: string; filename: string }) => download(file.id, file.filename),
  });

  return (
    <Stack>
      <Title order={1}>Files</Title>
      <div>
        <label htmlFor="upload-files">Upload files</label>
        <Text size="sm" c="dimmed" id="upload-help">
          Choose one or more files; the upload starts at once.
        </Text>
        <input
          id="upload-files"
          type="file"
          multiple
          aria-describedby="upload-help"
          disabled={upload.isPending}
          onChange={(event) => {
            const selected = [...(event.currentTarget.files ?? [])];
            event.currentTarget.value = '';
            if (selected.length > 0) upload.mutate(selected);
          }}
        />
      </div>
      {progress !== null && <Progress value={progress * 100} aria-label="Upload progress" size="lg" />}
      {upload.error ? (
        <Alert color="red" role="alert" title="Upload refused">
          {describeError(upload.error)}
        </Alert>
      ) : null}
      {upload.data && (
        <Alert role="status" color="green">
          Uploaded {upload.data.map((file) => file.filename).join(', ')}.
        </Alert>
      )}
      <ProblemAlert error={files.error ?? remove.error ?? fetchFile.error} />
      {files.isPending && <Loading label="Loading the files" />}
      {files.data && (
        <>
          <Table striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Name</Table.Th>
                <Table.Th scope="col">Type</Table.Th>
                <Table.Th scope="col">Size</Table.Th>
                <Table.Th scope="col">Uploaded</Table.Th>
                <Table.Th scope="col">Actions</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {files.data.items.map((file) => (
                <Table.Tr key={file.id}>
                  <Table.Td>{file.filename}</Table.Td>
                  <Table.Td>{file.contentType}</Table.Td>
                  <Table.Td>{formatBytes(file.size)}</Table.Td>
                  <Table.Td>{new Date(file.createdAt).toLocaleString()}</Table.Td>
                  <Table.Td>
                    <Group gap="xs" wrap="nowrap">
                      <Button
                        size="xs"
                        variant="default"
                        aria-label={`Download ${file.filename}`}
                        onClick={() => fetchFile.mutate(file)}
                      >
                        Download
                      </Button>
                      <ConfirmButton
                        size="xs"
                        aria-label={`Delete ${file.filename}`}
                        title="Delete this file?"
                        message={`"${file.filename}" will be deleted. This cannot be undone.`}
                        confirmLabel="Delete"
                        onConfirm={() => remove.mutate(file.id)}
                      >
                        Delete
                      </ConfirmButton>
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          {files.data.items.length === 0 && <Text>No files yet.</Text>}
          <SkipPager skip={skip} pageSize={PAGE_SIZE} page={files.data} onChange={setSkip} />
        </>
      )}
    </Stack>
  );
}
