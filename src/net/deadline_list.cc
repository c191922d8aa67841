#include "net/deadline_list.h"

namespace postern::net {

void DeadlineList::add(DeadlineEntry& e) {
  if (e.linked_) return;
  e.prev_ = nullptr;
  e.next_ = head_;
  if (head_) head_->prev_ = &e;
  head_ = &e;
  e.linked_ = true;
  ++size_;
}

void DeadlineList::remove(DeadlineEntry& e) {
  if (!e.linked_) return;
  if (cursor_ == &e) cursor_ = e.next_;
  if (e.prev_) e.prev_->next_ = e.next_;
  else head_ = e.next_;
  if (e.next_) e.next_->prev_ = e.prev_;
  e.prev_ = e.next_ = nullptr;
  e.linked_ = false;
  --size_;
}

void DeadlineList::sweep(SteadyTime now) {
  cursor_ = head_;
  while (cursor_) {
    DeadlineEntry* e = cursor_;
    cursor_ = e->next_;
    if (e->deadline_ <= now) {
      e->disarm();
      e->on_deadline();  // may call remove() on itself or others; cursor_ stays valid
    }
  }
}

}  // namespace postern::net
