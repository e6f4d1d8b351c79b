#[cfg(test)]
mod tests {
    use super::{Account, AccountError, AccountTrait, transfer};

    #[test]
    fn deposit_and_withdraw() {
        let mut account = AccountTrait::open('alice');
        assert_eq!(account.deposit(100), Result::Ok(100));
        assert_eq!(account.withdraw(30), Result::Ok(70));
        assert_eq!(account.withdraw(71), Result::Err(AccountError::InsufficientFunds));
        assert_eq!(account.balance, 70);
        assert_eq!(account.deposit(0xffffffffffffffffffffffffffffffff), Result::Err(AccountError::Overflow));
        assert_eq!(account.balance, 70);
    }

    #[test]
    fn frozen_accounts_refuse_everything() {
        let mut account = Account { id: 'bob', balance: 5, frozen: true };
        assert_eq!(account.deposit(1), Result::Err(AccountError::Frozen));
        assert_eq!(account.withdraw(1), Result::Err(AccountError::Frozen));
        assert_eq!(account.balance, 5);
    }

    #[test]
    fn transfers_are_all_or_nothing() {
        let mut alice = Account { id: 'alice', balance: 50, frozen: false };
        let mut bob = AccountTrait::open('bob');
        assert_eq!(transfer(ref alice, ref bob, 20), Result::Ok(()));
        assert_eq!((alice.balance, bob.balance), (30, 20));
        assert_eq!(transfer(ref alice, ref bob, 31), Result::Err(AccountError::InsufficientFunds));
        assert_eq!((alice.balance, bob.balance), (30, 20));
        let mut carol = Account { id: 'carol', balance: 0, frozen: true };
        assert_eq!(transfer(ref alice, ref carol, 10), Result::Err(AccountError::Frozen));
        assert_eq!(alice.balance, 30);
    }
}
