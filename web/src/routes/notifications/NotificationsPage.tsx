import { Badge, Stack, Table, Text, Title } from '@mantine/core';
import { useNotifications, useNotificationsStatus, type JobNotification } from '../../live/notifications';

export function describeNotification(event: JobNotification): string {
  if (event.type === 'job.completed') return 'Completed';
  if (event.type === 'job.failed') return `Failed: ${event.error ?? 'unknown error'}`;
  return typeof event.progress === 'number' ? `In progress: ${event.progress}%` : 'In progress';
}

export function NotificationsPage() {
  const events = useNotifications();
  const status = useNotificationsStatus();
  return (
    <Stack>
      <Title order={1}>Notifications</Title>
      <Text size="sm" role="status">
        {status === 'open' ? 'Live: new job events appear here.' : 'Connecting to the live feed…'}
      </Text>
      {events.length === 0 ? (
        <Text>No job events since this page was opened.</Text>
      ) : (
        <Table>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Time</Table.Th>
              <Table.Th scope="col">Job</Table.Th>
              <Table.Th scope="col">Queue</Table.Th>
              <Table.Th scope="col">Event</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {events.map((event, index) => (
              <Table.Tr key={`${event.jobId}-${event.receivedAt}-${index}`}>
                <Table.Td>{new Date(event.receivedAt).toLocaleTimeString()}</Table.Td>
                <Table.Td>{event.jobId}</Table.Td>
                <Table.Td>{event.queue}</Table.Td>
                <Table.Td>
                  <Badge variant="outline" color={event.type === 'job.failed' ? 'red.9' : 'dark'} tt="none">
                    {describeNotification(event)}
                  </Badge>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
