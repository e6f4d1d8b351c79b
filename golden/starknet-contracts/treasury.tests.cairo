#[cfg(test)]
mod tests {
    use super::{Treasury, ITreasury};

    const BIG: u256 = 0x1000000000000000000000000000000000000000000000000; // 2^192

    #[test]
    fn deposit_and_withdraw_beyond_u128() {
        let mut state = Treasury::contract_state_for_testing();
        assert_eq!(ITreasury::total(@state), 0);
        ITreasury::deposit(ref state, BIG);
        ITreasury::deposit(ref state, 0xffffffffffffffffffffffffffffffff);
        ITreasury::deposit(ref state, 1);
        assert_eq!(ITreasury::total(@state), BIG + 0x100000000000000000000000000000000);
        ITreasury::withdraw(ref state, BIG);
        assert_eq!(ITreasury::total(@state), u256 { low: 0, high: 1 });
        ITreasury::withdraw(ref state, u256 { low: 0, high: 1 });
        assert_eq!(ITreasury::total(@state), 0);
    }

    #[test]
    fn shares_and_split() {
        let mut state = Treasury::contract_state_for_testing();
        ITreasury::deposit(ref state, BIG * 3);
        assert_eq!(ITreasury::share_of(@state, 10000), BIG * 3);
        assert_eq!(ITreasury::share_of(@state, 0), 0);
        assert_eq!(ITreasury::share_of(@state, 5000), BIG * 3 / 2);
        assert_eq!(ITreasury::share_of(@state, 1), BIG * 3 / 10000);
        assert_eq!(ITreasury::split(@state, 3), (BIG, 0));
        assert_eq!(ITreasury::split(@state, BIG * 2), (1, BIG));
        ITreasury::withdraw(ref state, BIG * 3);
        ITreasury::deposit(ref state, 10);
        assert_eq!(ITreasury::split(@state, 4), (2, 2));
        assert_eq!(ITreasury::share_of(@state, 2500), 2);
    }

    #[test]
    #[should_panic(expected: ('Insufficient balance',))]
    fn overdraw_panics() {
        let mut state = Treasury::contract_state_for_testing();
        ITreasury::deposit(ref state, BIG);
        ITreasury::withdraw(ref state, BIG + 1);
    }

    #[test]
    #[should_panic]
    fn deposit_overflow_panics() {
        let mut state = Treasury::contract_state_for_testing();
        ITreasury::deposit(ref state, core::num::traits::Bounded::<u256>::MAX);
        ITreasury::deposit(ref state, 1);
    }
}
