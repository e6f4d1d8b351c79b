/// A first-in first-out queue of any droppable type.
#[derive(Drop)]
pub struct Queue<T> {
    items: Array<T>,
}

pub trait QueueTrait<T> {
    fn new() -> Queue<T>;
    fn enqueue(ref self: Queue<T>, item: T);
    fn dequeue(ref self: Queue<T>) -> Option<T>;
    fn peek(self: @Queue<T>) -> Option<@T>;
    fn len(self: @Queue<T>) -> u32;
    fn is_empty(self: @Queue<T>) -> bool;
}

pub impl QueueImpl<T, +Drop<T>> of QueueTrait<T> {
    fn new() -> Queue<T> {
        Queue { items: array![] }
    }

    fn enqueue(ref self: Queue<T>, item: T) {
        self.items.append(item);
    }

    fn dequeue(ref self: Queue<T>) -> Option<T> {
        self.items.pop_front()
    }

    fn peek(self: @Queue<T>) -> Option<@T> {
        self.items.get(0).map(|item| item.unbox())
    }

    fn len(self: @Queue<T>) -> u32 {
        self.items.len()
    }

    fn is_empty(self: @Queue<T>) -> bool {
        self.items.len() == 0
    }
}
