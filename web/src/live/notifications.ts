// The signed-in user's job events, live: one /ws/notifications socket per tab, opened by the
// signed-in layout, feeding a small store that the notifications page and the import page read.
import { useEffect, useSyncExternalStore } from 'react';
import { connectLive, type LiveStatus } from './socket';

/** A frame of /ws/notifications (NotificationOut in src/modules/realtime/realtime.schemas.ts). */
export interface JobNotification {
  type: 'job.progress' | 'job.completed' | 'job.failed';
  jobId: string;
  queue: string;
  progress?: number | object;
  result?: unknown;
  error?: string;
}

export interface ReceivedNotification extends JobNotification {
  receivedAt: string;
}

const KEEP = 200;
let events: ReceivedNotification[] = [];
let status: LiveStatus = 'closed';
const listeners = new Set<() => void>();
const emit = () => listeners.forEach((listener) => listener());

export function pushNotification(event: JobNotification): void {
  events = [{ ...event, receivedAt: new Date().toISOString() }, ...events].slice(0, KEEP);
  emit();
}

function subscribe(listener: () => void) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useNotifications(): ReceivedNotification[] {
  return useSyncExternalStore(subscribe, () => events);
}

export function useNotificationsStatus(): LiveStatus {
  return useSyncExternalStore(subscribe, () => status);
}

/** Keeps the notifications socket open while mounted (in the signed-in layout). */
export function useNotificationsFeed(enabled: boolean): void {
  useEffect(() => {
    if (!enabled) return;
    const connection = connectLive<JobNotification>('/ws/notifications', {
      onMessage: pushNotification,
      onStatus: (next) => {
        status = next;
        emit();
      },
    });
    return () => {
      connection.close();
      events = [];
      status = 'closed';
      emit();
    };
  }, [enabled]);
}
