"""Stats' pure logic: counter math, snapshots, revisions, the per-client mailbox."""
