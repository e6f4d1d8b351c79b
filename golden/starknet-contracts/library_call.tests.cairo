// A second fee logic, declared only for the tests: a flat fee of 7.
#[starknet::contract]
mod FlatFee {
    #[storage]
    struct Storage {}

    #[abi(embed_v0)]
    impl FlatFeeImpl of super::IFeeLogic<ContractState> {
        fn fee(self: @ContractState, amount: u128) -> u128 {
            7
        }
    }
}

#[cfg(test)]
mod tests {
    use starknet::SyscallResultTrait;
    use starknet::syscalls::deploy_syscall;
    use super::{FeeLogic, FeeRouter, FlatFee, IFeeRouterDispatcher, IFeeRouterDispatcherTrait};

    fn deploy() -> IFeeRouterDispatcher {
        let (address, _) = deploy_syscall(
            FeeRouter::TEST_CLASS_HASH, 0, array![FeeLogic::TEST_CLASS_HASH.into()].span(), false,
        )
            .unwrap_syscall();
        IFeeRouterDispatcher { contract_address: address }
    }

    #[test]
    fn quotes_through_the_class() {
        let router = deploy();
        assert_eq!(router.logic(), FeeLogic::TEST_CLASS_HASH);
        assert_eq!(router.quote(10000), 100);
        assert_eq!(router.quote(150), 1);
        assert_eq!(router.quote(5), 1);
        assert_eq!(router.quote(0), 0);
    }

    #[test]
    fn swapping_the_logic_needs_no_deployment() {
        let router = deploy();
        router.set_logic(FlatFee::TEST_CLASS_HASH);
        assert_eq!(router.quote(10000), 7);
    }
}
