#[cfg(test)]
mod tests {
    use starknet::syscalls::deploy_syscall;
    use starknet::testing::set_contract_address;
    use starknet::{ContractAddress, SyscallResultTrait};
    use super::{Escrow, EscrowState, IEscrowDispatcher, IEscrowDispatcherTrait};

    fn buyer() -> ContractAddress {
        'buyer'.try_into().unwrap()
    }

    fn seller() -> ContractAddress {
        'seller'.try_into().unwrap()
    }

    fn arbiter() -> ContractAddress {
        'arbiter'.try_into().unwrap()
    }

    fn deploy() -> IEscrowDispatcher {
        let calldata = array![buyer().into(), seller().into(), arbiter().into(), 500];
        let (address, _) = deploy_syscall(Escrow::TEST_CLASS_HASH, 0, calldata.span(), false)
            .unwrap_syscall();
        IEscrowDispatcher { contract_address: address }
    }

    #[test]
    fn happy_path() {
        let escrow = deploy();
        assert_eq!(escrow.state(), EscrowState::AwaitingPayment);
        set_contract_address(buyer());
        escrow.deposit(500);
        assert_eq!(escrow.state(), EscrowState::AwaitingDelivery);
        escrow.confirm_delivery();
        assert_eq!(escrow.state(), EscrowState::Complete);
        assert_eq!(escrow.paid_to(seller()), 500);
        assert_eq!(escrow.paid_to(buyer()), 0);
    }

    #[test]
    fn arbiter_refunds() {
        let escrow = deploy();
        set_contract_address(buyer());
        escrow.deposit(500);
        set_contract_address(arbiter());
        escrow.refund();
        assert_eq!(escrow.state(), EscrowState::Refunded);
        assert_eq!(escrow.paid_to(buyer()), 500);
    }

    #[test]
    #[should_panic(expected: ('Wrong amount', 'ENTRYPOINT_FAILED'))]
    fn exact_price_only() {
        let escrow = deploy();
        set_contract_address(buyer());
        escrow.deposit(499);
    }

    #[test]
    #[should_panic(expected: ('Not allowed', 'ENTRYPOINT_FAILED'))]
    fn the_seller_cannot_confirm() {
        let escrow = deploy();
        set_contract_address(buyer());
        escrow.deposit(500);
        set_contract_address(seller());
        escrow.confirm_delivery();
    }

    #[test]
    #[should_panic(expected: ('Wrong state', 'ENTRYPOINT_FAILED'))]
    fn no_refund_after_completion() {
        let escrow = deploy();
        set_contract_address(buyer());
        escrow.deposit(500);
        escrow.confirm_delivery();
        set_contract_address(arbiter());
        escrow.refund();
    }
}
