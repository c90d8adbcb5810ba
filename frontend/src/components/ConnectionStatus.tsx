/** The "live" dot in the header, and the banner that says when live numbers have stopped. */
import { useConnection } from '../live/LiveStats';
import type { Connection } from '../live/statsReducer';

const LABEL: Record<Connection, string> = {
  live: 'Live',
  connecting: 'Connecting…',
  offline: 'Offline',
};

export function ConnectionStatus() {
  const connection = useConnection();
  return (
    <span className={`conn conn-${connection}`} data-testid="connection-status" data-state={connection}>
      <span className="conn-dot" aria-hidden="true" />
      {LABEL[connection]}
    </span>
  );
}

export function OfflineBanner({ connection }: { connection: Connection }) {
  if (connection !== 'offline') return null;
  return (
    <div className="banner banner-warn" role="status">
      Live updates paused: reconnecting to the server. Numbers on screen may be behind.
    </div>
  );
}

export function LiveOfflineBanner() {
  return <OfflineBanner connection={useConnection()} />;
}
