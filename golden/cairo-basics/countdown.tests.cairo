#[cfg(test)]
mod tests {
    use super::{Countdown, countdown, fibonacci};

    #[test]
    fn counts_down() {
        let mut it = countdown(3);
        assert_eq!(it.next(), Option::Some(3));
        assert_eq!(it.next(), Option::Some(2));
        assert_eq!(it.next(), Option::Some(1));
        assert_eq!(it.next(), Option::None);
        assert_eq!(it.next(), Option::None);
        let collected: Array<u32> = countdown(4).collect();
        assert_eq!(collected, array![4, 3, 2, 1]);
        let mut empty = Countdown { remaining: 0 };
        assert_eq!(empty.next(), Option::None);
    }

    #[test]
    fn works_with_adapters() {
        let total: u32 = countdown(10).filter(|n| *n % 3 == 0).sum();
        assert_eq!(total, 18);
        let firsts: Array<u64> = fibonacci().take(10).collect();
        assert_eq!(firsts, array![0, 1, 1, 2, 3, 5, 8, 13, 21, 34]);
    }

    #[test]
    fn fibonacci_stops_before_overflow() {
        // F(93) = 12200160415121876738 is the largest Fibonacci number that fits in a u64
        let all: Array<u64> = fibonacci().collect();
        assert_eq!(all.len(), 94);
        assert_eq!(*all[93], 12200160415121876738);
    }
}
