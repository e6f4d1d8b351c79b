use core::num::traits::CheckedAdd;

#[derive(Drop, Copy, Debug, PartialEq)]
pub enum AccountError {
    InsufficientFunds,
    Frozen,
    Overflow,
}

#[derive(Drop, Copy, Debug, PartialEq)]
pub struct Account {
    pub id: felt252,
    pub balance: u128,
    pub frozen: bool,
}

#[generate_trait]
pub impl AccountImpl of AccountTrait {
    fn open(id: felt252) -> Account {
        Account { id, balance: 0, frozen: false }
    }

    fn deposit(ref self: Account, amount: u128) -> Result<u128, AccountError> {
        if self.frozen {
            return Result::Err(AccountError::Frozen);
        }
        let balance = self.balance.checked_add(amount).ok_or(AccountError::Overflow)?;
        self.balance = balance;
        Result::Ok(balance)
    }

    fn withdraw(ref self: Account, amount: u128) -> Result<u128, AccountError> {
        if self.frozen {
            return Result::Err(AccountError::Frozen);
        }
        if amount > self.balance {
            return Result::Err(AccountError::InsufficientFunds);
        }
        self.balance -= amount;
        Result::Ok(self.balance)
    }
}

/// Moves `amount` from `from` to `to`; on any error neither account changes.
pub fn transfer(ref from: Account, ref to: Account, amount: u128) -> Result<(), AccountError> {
    if to.frozen {
        return Result::Err(AccountError::Frozen);
    }
    if to.balance.checked_add(amount).is_none() {
        return Result::Err(AccountError::Overflow);
    }
    from.withdraw(amount)?;
    to.deposit(amount)?;
    Result::Ok(())
}
