"""The delivery commands: a dedicated sender, the bounce receiver and the bounce mailbox reader."""
