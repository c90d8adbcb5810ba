/** Any path the dashboard does not know: say so, and offer the way home. */
import { Link, useLocation } from 'react-router';
import { useTitle } from '../lib/title';

export default function NotFound() {
  useTitle('Page not found');
  const { pathname } = useLocation();
  return (
    <div className="page">
      <h1>Page not found</h1>
      <div className="empty">
        <p>
          There is no page at <code>{pathname}</code>. It may have moved, or the link may be mistyped.
        </p>
        <div className="actions">
          <Link className="btn btn-primary" to="/campaigns">
            Go to campaigns
          </Link>
          <Link className="btn" to="/audiences">
            Audiences
          </Link>
        </div>
      </div>
    </div>
  );
}
