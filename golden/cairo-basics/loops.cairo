/// Number of Collatz steps needed to reach 1 from `n` (`None` for `n == 0`).
pub fn collatz_steps(n: u64) -> Option<u32> {
    if n == 0 {
        return Option::None;
    }
    let mut current = n;
    let mut steps: u32 = 0;
    while current != 1 {
        if current % 2 == 0 {
            current = current / 2;
        } else {
            current = 3 * current + 1;
        }
        steps += 1;
    };
    Option::Some(steps)
}

/// Sum of all natural numbers strictly below `limit` that are multiples of 3 or 5.
pub fn sum_of_multiples(limit: u32) -> u32 {
    let mut total: u32 = 0;
    for i in 0..limit {
        if i % 3 == 0 || i % 5 == 0 {
            total += i;
        }
    };
    total
}

/// Trial-division primality test.
pub fn is_prime(n: u32) -> bool {
    if n < 2 {
        return false;
    }
    let n: u64 = n.into();
    let mut divisor: u64 = 2;
    let mut prime = true;
    loop {
        if divisor * divisor > n {
            break;
        }
        if n % divisor == 0 {
            prime = false;
            break;
        }
        divisor += 1;
    };
    prime
}
