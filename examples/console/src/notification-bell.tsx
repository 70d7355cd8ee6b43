// The notification bell: the signed-in user's notifications (myNotifications live), unread count, mark read.
export function NotificationBell() {
  return null;
}
