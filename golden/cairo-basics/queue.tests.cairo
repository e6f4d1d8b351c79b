#[cfg(test)]
mod tests {
    use super::{Queue, QueueTrait};

    #[test]
    fn first_in_first_out() {
        let mut queue: Queue<u32> = QueueTrait::new();
        assert!(queue.is_empty());
        queue.enqueue(1);
        queue.enqueue(2);
        queue.enqueue(3);
        assert_eq!(queue.len(), 3);
        assert_eq!(queue.dequeue(), Option::Some(1));
        assert_eq!(queue.dequeue(), Option::Some(2));
        queue.enqueue(4);
        assert_eq!(queue.dequeue(), Option::Some(3));
        assert_eq!(queue.dequeue(), Option::Some(4));
        assert_eq!(queue.dequeue(), Option::None);
        assert!(queue.is_empty());
    }

    #[test]
    fn peek_does_not_remove() {
        let mut queue: Queue<felt252> = QueueTrait::new();
        assert!(queue.peek().is_none());
        queue.enqueue('a');
        queue.enqueue('b');
        assert_eq!(*queue.peek().unwrap(), 'a');
        assert_eq!(queue.len(), 2);
    }

    #[test]
    fn holds_non_copy_values() {
        let mut queue: Queue<ByteArray> = QueueTrait::new();
        queue.enqueue("hello");
        queue.enqueue("world");
        assert_eq!(queue.peek().unwrap(), @"hello");
        assert_eq!(queue.dequeue().unwrap(), "hello");
        assert_eq!(queue.dequeue().unwrap(), "world");
    }
}
