/**
 * "Sign in with Google" (Google Identity Services). Loaded only when a client id is
 * configured; when Google's script cannot load (offline, blocked) it says so instead of
 * leaving a blank space.
 */
import { GoogleLogin, GoogleOAuthProvider } from '@react-oauth/google';
import { useState } from 'react';

interface Props {
  clientId: string;
  onCredential: (credential: string) => void;
}

export default function GoogleButton({ clientId, onCredential }: Props) {
  const [failed, setFailed] = useState<string | null>(null);
  if (failed) {
    return (
      <p className="hint" role="status">
        {failed}
      </p>
    );
  }
  return (
    <GoogleOAuthProvider
      clientId={clientId}
      onScriptLoadError={() => setFailed('Google sign-in could not load (no connection to Google).')}
    >
      <GoogleLogin
        onSuccess={(response) => {
          if (response.credential) onCredential(response.credential);
        }}
        onError={() => setFailed('Google sign-in did not complete. Try again.')}
        width="320"
      />
    </GoogleOAuthProvider>
  );
}
