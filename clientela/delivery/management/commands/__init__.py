"""The delivery commands: the bounce receiver and the bounce mailbox reader."""
